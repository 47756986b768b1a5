-- "Mark as unread": a member's own flag on a conversation, shared by its devices (through
-- settings_changed) and cleared when the member reads the conversation.
ALTER TABLE members ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;
