"""Reading an incoming message: whether a group message is for the bot, a command's argument."""

from __future__ import annotations

import re

from telegram import Message, MessageEntity

__all__ = ["addressed", "command_argument"]


def addressed(message: Message, bot_id: int | None, username: str) -> tuple[bool, str]:
    """Whether a group message is for the bot (mention or reply), and its text without the mention."""
    text = message.text or ""
    addressed = False
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        addressed = True
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            addressed = True
            text = text.replace(value, " ")
        elif entity.type == MessageEntity.MENTION and username and value.lower() == f"@{username.lower()}":
            addressed = True
    if username:
        mention = re.compile(rf"@{re.escape(username)}\b", re.IGNORECASE)
        if mention.search(text):
            addressed = True
            text = mention.sub(" ", text)
    return addressed, text


def command_argument(text: str) -> str:
    """What follows ``/command`` (or ``/command@bot``) in ``text``."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 and parts[0].startswith("/") else ("" if text.startswith("/") else text)
