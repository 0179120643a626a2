"""What the bot says: commands, example questions, replies and the help text (Arabic first,
so right-to-left clients lay every message out right)."""

from __future__ import annotations

from collections.abc import Sequence

from .render import escape

__all__ = ["EXAMPLES", "ICONS", "help_text"]

#: Example questions for /start and /help; those that do not answer on the served index are dropped.
EXAMPLES = (
    "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟",
    "ماذا قال كوبلر عن الجيش الليبي؟",
    "كم عدد النازحين في ليبيا؟",
)
#: The icon before an actor's name on its button.
ICONS = {"person": "👤", "organization": "🏛", "place": "📍"}

MSG_TRY_AGAIN = "تعذّر الوصول إلى ذاكرة البوت الآن. حاول بعد قليل."
MSG_STALE = "انتهت صلاحية هذه الرسالة (لم أعد أحتفظ بها). أرسل سؤالك من جديد."
MSG_FORGED = "هذا الزر غير صالح."
MSG_ERROR = "عذراً، حدث خطأ غير متوقع أثناء معالجة رسالتك. سُجّل الخطأ؛ حاول مجدداً بعد قليل."
MSG_NOT_TEXT = (
    "أقرأ الأسئلة النصية فقط (لا الملصقات ولا الصور ولا الرسائل الصوتية). اكتب سؤالك بالعربية، أو أرسل /help للأمثلة."
)
MSG_NOT_ALLOWED = "عذراً، هذا البوت غير متاح في هذه المحادثة."
MSG_UNKNOWN_COMMAND = "لا أعرف هذا الأمر. الأوامر: /help و/sources و/article و/actor و/latest و/timeline و/follow"
MSG_EMPTY = "اكتب سؤالك بالعربية بعد الأمر، مثل: /ask {example}"
MSG_NO_WORDS = "لم أجد في رسالتك كلمات أبحث عنها. اكتب سؤالك بكلمات عربية، مثل: «{example}»"
MSG_SLOW_DOWN = "تمهّل قليلاً من فضلك: وصلتني رسائل كثيرة منك في وقت قصير. أعد المحاولة بعد {seconds} ثانية."
MSG_SLOW_DOWN_BUTTON = "تمهّل قليلاً من فضلك، ثم أعد المحاولة."
MSG_ARTICLE_USAGE = "اكتب معرّف المقال بعد الأمر، مثل: /article {example}\nالمعرّفات في /sources"
MSG_NO_ARTICLE = "لا يوجد مقال بالمعرّف «{key}». المعرّفات في /sources (يكفي أول المعرّف إن لم يشترك فيه مقالان)."
MSG_ACTOR_BAD_NAME = "اكتب اسم الفاعل بحرفين على الأقل وبما لا يزيد على 100 حرف، مثل: /actor حفتر"
MSG_ACTOR_USAGE = "اكتب اسم الفاعل بعد الأمر، مثل: /actor حفتر"
MSG_NO_ACTOR = "لا أجد في المقالات فاعلاً بالاسم «{name}». جرّب اسم العائلة وحده، أو اطّلع على المقالات: /sources"
MSG_ACTOR_HEADER = "المقاطع التي تذكر: <b>{name}</b>"

BUTTON_NEXT = "◀ التالي"
BUTTON_PREVIOUS = "السابق ▶"
BUTTON_ARTICLE = "📄 المقال كاملاً"
BUTTON_PLAIN = "↺ دون سياق"
BUTTON_BACK = "↩ رجوع"
BUTTON_TIMELINE = "📈 التغطية أسبوعياً"

MSG_LATEST_USAGE = "اكتب سؤالك بعد الأمر، فأعرض أحدث التقارير أولاً، مثل: /latest {example}"
MSG_TIMELINE_USAGE = "اكتب اسم فاعل أو سؤالاً بعد الأمر، مثل: /timeline الحوثيين"
MSG_TIMELINE_NONE = "لا يذكر أيّ تقرير مؤرَّخ «{query}»، فلا رسم بيانياً له. جرّب اسماً آخر أو كلمات أقل."
MSG_TIMELINE_UNDATED = "مقالات هذا البوت غير مؤرَّخة، فلا يمكن رسم تغطيتها عبر الزمن."
MSG_TIMELINE_BUSY = "أرسم رسماً بيانياً آخر الآن. أعد الطلب بعد لحظات."
MSG_FOLLOW_USAGE = (
    "اكتب بعد الأمر اسم فاعل أو موضوعاً، فأنبّهك بكل تقرير جديد عنه حين يصل:\n"
    "• /follow حفتر\n• /follow الانتخابات الليبية\nما تتابعه: /following"
)
MSG_FOLLOW_UNAVAILABLE = "لا تنبيهات في هذا البوت: مقالاته ثابتة لا تُضاف إليها تقارير جديدة."
MSG_FOLLOW_BAD = "اكتب اسماً أو موضوعاً من حرفين إلى {max} حرفاً، مثل: /follow حفتر"
MSG_FOLLOW_ACTOR = "سأنبّهك بكل تقرير جديد يذكر <b>{text}</b> (فاعل). تتابع الآن {n} من {max}. للإيقاف: /following"
MSG_FOLLOW_SUBJECT = (
    "سأنبّهك بكل تقرير جديد يجيب عن <b>{text}</b> (موضوع). تتابع الآن {n} من {max}. للإيقاف: /following"
)
MSG_FOLLOW_ALREADY = "أنت تتابع <b>{text}</b> من قبل. ما تتابعه: /following"
MSG_FOLLOW_FULL = "بلغتَ الحدّ: {max} متابعة. أوقف إحداها بالأزرار أدناه ثم أضف الجديدة."
MSG_FOLLOWING = "تتابع {n} من {max} (اضغط ✖ لإيقاف متابعة):"
MSG_FOLLOWING_NONE = "لا تتابع شيئاً بعد. تابع فاعلاً أو موضوعاً: /follow حفتر"
MSG_UNFOLLOW_UNKNOWN = "لا تتابع «{text}». اختر من القائمة:"
MSG_UNFOLLOWED = "أوقفتُ متابعة <b>{text}</b>."
MSG_UNFOLLOWED_SHORT = "أوقفتُ متابعة «{text}»"
MSG_ALERT_ACTOR = "🔔 <b>تقرير جديد يذكر {text}</b>"
MSG_ALERT_SUBJECT = "🔔 <b>تقرير جديد عن: {text}</b>"
MSG_QUIET_USAGE = "اكتب ساعتي البداية والنهاية، مثل: /quiet 23-7 (لا تنبيهات من 11 ليلاً إلى 7 صباحاً)، أو /quiet off للإلغاء."
MSG_QUIET_NONE = "لا ساعات هدوء: تصلك التنبيهات فور وصول التقارير. لضبطها: /quiet 23-7"
MSG_QUIET_NOW = "ساعات الهدوء: من {start}:00 إلى {end}:00 ({offset}). للإلغاء: /quiet off"
MSG_QUIET_OFF = "ألغيتُ ساعات الهدوء: تصلك التنبيهات فور وصول التقارير."
MSG_QUIET_ASK = (
    "ساعات الهدوء: من {start}:00 إلى {end}:00. كم الساعة عندك الآن؟ اختر، فأحفظ فرق التوقيت مرة واحدة "
    "(وإلى أن تختار أحسب الساعات بتوقيت غرينتش):"
)
MSG_QUIET_SET = "ساعات الهدوء: من {start}:00 إلى {end}:00 ({offset}). تنتظر التنبيهات فيها وتصلك بعدها."
MSG_FEEDS_HEADER = "<b>المصادر المتابَعة</b> (تُقرأ كل {every}):"
MSG_TIMELINE_CAPTION = "{what} «{label}»: {total} تقريراً بين {first} و{last}، أعلاها أسبوع {peak} ({peak_count})."


def help_text(
    examples: Sequence[str], username: str, greeting: bool, group: bool, dated: bool = False, alerts: bool = False
) -> str:
    """/start (``greeting``) and /help, with the ``examples`` that answer; ``group`` adds how to ask
    in groups, ``dated`` the commands that need dated articles (/latest, /timeline), ``alerts`` /follow."""
    lines = []
    if greeting:
        lines.append("أهلاً بك في <b>سند</b>: إجابات موثّقة من الأخبار العربية.")
    else:
        lines.append("<b>سند</b>: إجابات موثّقة من الأخبار العربية.")
    lines.append(
        "اكتب سؤالك بالعربية، فأجيبك بجمل منقولة حرفياً من المقالات، مع اسم المقال والفاعلين المذكورين فيها. "
        "لا أكتب إجابة من عندي: إن لم تُجب المقالات عن سؤالك قلتُ ذلك."
    )
    if examples:
        lines += ["", "<b>أمثلة</b>:"] + [f"• {escape(q)}" for q in examples]
    lines += [
        "",
        "<b>الأوامر</b>:",
        "• المقالات التي أجيب منها: /sources",
        "• مقال كامل بمعرّفه: /article",
        "• فاعل في كل المقالات (جمله وصفاته ومن يُذكر معه): /actor",
        *(
            ["• أحدث التقارير أولاً: /latest ثم سؤالك", "• تغطية فاعل أو موضوع أسبوعاً بأسبوع، رسماً بيانياً: /timeline"]
            if dated
            else []
        ),
        *(
            ["• نبّهني بكل تقرير جديد عن فاعل أو موضوع: /follow ثم الاسم (وما أتابعه: /following، وساعات الهدوء: /quiet)"]
            if alerts
            else []
        ),
        "• هذه المساعدة: /help",
        "",
        "تحت كل إجابة أزرار: «التالي» و«السابق» للتنقل بين النتائج، وزر لكل فاعل يعرض المقاطع التي تذكره، "
        "وزر للمقال كاملاً. وتستطيع أن تتابع بسؤال قصير مثل «وماذا قال أيضاً؟» فأجيبه في سياق سؤالك السابق.",
    ]
    if group:
        who = f"@{escape(username)}" if username else "البوت"
        lines += ["", f"في المجموعات أجيب حين تذكرني ({who}) أو تردّ على رسالتي أو تكتب /ask ثم سؤالك."]
    return "\n".join(lines)
