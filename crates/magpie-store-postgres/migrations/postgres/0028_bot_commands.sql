-- Slash commands (issue 18, magpie_core::commands): each bot's commands, in its order. A name is
-- unique in its domain, so "/name" in a conversation names one bot's command.
CREATE TABLE bot_commands (
    bot_id      BIGINT NOT NULL REFERENCES accounts(id),
    domain_id   BIGINT NOT NULL REFERENCES domains(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    hint        TEXT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (bot_id, name),
    UNIQUE (domain_id, name)
);
