-- Search reads every membership span of one account (ConversationLog::member_spans).
CREATE INDEX member_spans_by_account ON member_spans (account_id, conversation_id);
