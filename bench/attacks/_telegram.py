"""What the attacks' small fake Bot APIs hand a bot: Telegram's shape of a private message."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["private_message"]


def private_message(message_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """A private chat's message as ``getUpdates`` gives it (a leading ``/word`` marked as a command)."""
    message: dict[str, Any] = {
        "message_id": message_id, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"},
        "from": {"id": chat_id, "is_bot": False, "first_name": f"user{chat_id}"},
    }  # fmt: skip
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return message
