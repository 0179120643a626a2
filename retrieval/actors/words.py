"""Trigger word lists for the actor rules (normalized with ``normalize_token``).

Kept apart from the rules so ``retrieval/training/gazetteer.py`` can keep these words out of the
gazetteer: a title or a head noun is never an actor by itself.
"""

from __future__ import annotations

from ..normalize import STOPWORDS, normalize_token

__all__ = [
    "AMBIGUOUS_FIRST_NAMES",
    "WRITTEN_FUNCTION_WORDS",
    "AMBIGUOUS_ORG_HEADS",
    "COMPLEMENTIZERS",
    "DEFINITE_ORG_HEADS",
    "HONORIFICS",
    "NAME_LIKE_GENITIVES",
    "NAME_PARTICLES",
    "NAME_PARTICLES_WRITTEN",
    "NON_NAME_ADJECTIVES",
    "OPEN_PARTICLES",
    "ORG_HEADS",
    "PERSON_TITLES",
    "PLACE_DUALS",
    "PLACE_PREFIXES",
    "PLACE_TRIGGERS",
    "PREPOSITIONS",
    "SPEECH_VERBS",
    "STOPWORDS",
    "TRIGGER_WORDS",
]


def _n(words: str) -> frozenset[str]:
    return frozenset(normalize_token(w) for w in words.split())


#: Titles and functions that introduce a person's name (``الرئيس الفرنسي نيكولا ساركوزي``) or
#: follow it in apposition (``فرانسوا باروان المتحدث باسم الحكومة الفرنسية``).
PERSON_TITLES = _n(
    """الرئيس رئيس الرئيسة رئيسة الزعيم زعيم وزير الوزير وزيرة الوزيرة المتحدث متحدث المتحدثة
    متحدثة الناطق ناطق الناطقة ناطقة اللواء العقيد العميد عميد المبعوث مبعوث المبعوثة آمر امر
    قائد القائد الجنرال المشير الفريق المقدم الرائد النقيب السفير سفير المستشار مستشار الملك
    الأمير الأمين النائب نائب مدير المدير وكيل عضو عضوي عضوا السكرتير سكرتير مسؤول المسؤول
    المفوض مفوض الممثل ممثل المندوب مندوب محافظ المحافظ عمدة"""
)

#: Words that introduce a name without giving a role (``السيد " ليون "``, ``برئاسة " ليون "``).
HONORIFICS = _n("السيد السيدة الشيخ الدكتور رئاسة قيادة")

#: Reporting verbs: ``قال كوبلر إن``, ``وأكد بادي أنه``, ``وأشار بادي إلى أن``.
SPEECH_VERBS = _n(
    """قال قالت أكد أكدت أضاف أضافت أشار أشارت أوضح أوضحت ذكر ذكرت رأى رأت صرح صرحت أعلن أعلنت
    اعتبر اعتبرت شدد شددت لفت لفتت أفاد أفادت نفى نفت حذر حذرت كشف كشفت تابع تابعت أردف أردفت
    أكد أوضح اعترف اعترفت زعم زعمت"""
)
#: What follows the speaker: ``إن``, ``أنه``, ``إلى أن``, ``على``, ``بأن``.
COMPLEMENTIZERS = _n("إن أن إنه أنه إنها أنها إلى على بأن بأنه")

#: Organisation heads: ``مجلس النواب``, ``الكتيبة 166``, ``وكالة رويترز``.
ORG_HEADS = _n(
    """مجلس حكومة وكالة بعثة حلف كتيبة لواء تنظيم هيئة منظمة حزب حركة جبهة اتحاد وزارة جماعة
    محكمة مصرف شركة مؤسسة جامعة غرفة"""
)

#: Heads that are also verbal nouns (``تنظيم الانتخابات``, ``حركة المرور``): their genitive
#: must be a name (``تنظيم الدولة``, ``حركة حماس``), never a common noun.
AMBIGUOUS_ORG_HEADS = _n("تنظيم التنظيم حركة الحركة جماعة الجماعة اتحاد الاتحاد هيئة الهيئة")
NAME_LIKE_GENITIVES = _n("الدولة القاعدة")

#: Adjectives that do not identify an organisation (``الحكومة الحالية``, ``المجلس السابق``).
NON_NAME_ADJECTIVES = _n(
    """الحالي الحالية السابق السابقة الماضي الماضية المقبل المقبلة الجديد الجديدة الأولى الأولي
    الثاني الثانية الثالث الثالثة الأخير الأخيرة المعني المعنية المحلي المحلية الحكومي الحكومية"""
)

#: Place heads: ``مدينة مصراتة``, ``منطقة راس لانوف``, ``بمنطقتي الصابري وجروثة``.
PLACE_TRIGGERS = _n("مدينة منطقة بلدية ولاية محافظة قرية بلدة قاعدة ميناء مطار العاصمة")
PLACE_DUALS = _n("مدينتي منطقتي بلدتي قريتي")

#: First words of compound place names: ``راس لانوف``, ``بني وليد``, ``سيدي بوزيد``.
PLACE_PREFIXES = _n("راس رأس بئر بير عين وادي جبل سيدي بني بن أبو ام أم تل خليج جزيرة بحر")

#: Name-internal particles: ``عبد الجليل``, ``أبو ستة``, ``محمد بن مبارك``.
NAME_PARTICLES = _n("عبد أبو ابو بن ابن بنت آل")
#: Name particles as written in display text (``Actor.text`` keeps the original spelling), for
#: reading a family name off a person's name (``مصطفى عبد الجليل`` -> ``عبد الجليل``): the usual
#: spellings of :data:`NAME_PARTICLES` but ``بنت``, the genitive ``أبي``/``ابي``, and ``ال``
#: (``آل`` written without its madda).
NAME_PARTICLES_WRITTEN = ("عبد", "أبو", "ابو", "بن", "ابن", "أبي", "ابي", "آل", "ال")
#: Particles that take the next word whatever it is (``أبو ستة``); after the others
#: (``بن``/``ابن``) the next word must itself look like a name (not ``ابن رجل``).
OPEN_PARTICLES = _n("عبد أبو ابو آل")

#: First names that are also function words once normalized (``علي`` = ``على``).
AMBIGUOUS_FIRST_NAMES = _n("علي")
#: Function words as written, whose spelling (``ى``) says what normalizing hides: «على» is no «علي».
WRITTEN_FUNCTION_WORDS = frozenset(("على", "إلى", "الى", "حتى", "متى", "لدى"))

#: Prepositions allowed inside a role: ``المبعوث الدولي الخاص إلى ليبيا``.
PREPOSITIONS = _n("إلى الى في لدى عن")

#: Definite org heads (``المجلس الوطني الانتقالي``); ``اللواء`` is a rank, not a brigade.
DEFINITE_ORG_HEADS = frozenset("ال" + w for w in ORG_HEADS) - PERSON_TITLES

TRIGGER_WORDS = PERSON_TITLES | HONORIFICS | ORG_HEADS | DEFINITE_ORG_HEADS | PLACE_TRIGGERS | PLACE_DUALS
