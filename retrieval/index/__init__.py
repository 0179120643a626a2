"""The BM25 passage index: build from articles, extend, search, save to and load from a directory.

One module per job:

* :mod:`~retrieval.index.postings`: the postings and their BM25 statistics (:class:`Postings`);
* :mod:`~retrieval.index.columns`: the generic saved columns (strings, blobs, arrays) and
  :mod:`~retrieval.index.stores`: the article and passage tables made of them;
* :mod:`~retrieval.index.builder`: adding articles, in three passes (read, analyse, tag actors);
* :mod:`~retrieval.index.story_store`: the stories the articles fold into (:class:`StoryStore`);
* :mod:`~retrieval.index.mentions`: the actors' mentions found at index time (:class:`MentionStore`)
  and :mod:`~retrieval.index.tagging`: tagging them, on several cores for a large corpus;
* :mod:`~retrieval.index.query`: searching and query expansion;
* :mod:`~retrieval.index.manifest`: the manifest, saving and loading;
* :mod:`~retrieval.index.core`: :class:`Index`, which ties them together.

Scoring is rank-bm25's ``BM25Okapi`` (Robertson/Sparck Jones IDF, negative IDF floored at
``epsilon * mean_idf``), computed on an inverted index by :mod:`retrieval.bm25` with the same
floating-point operations, so scores are rank-bm25's own (``tests/test_bm25_parity.py``) at a
fraction of the cost: a query touches only the postings of its terms.

A saved index is a directory of plain files, never a pickle (format version 5):

* ``manifest.json``: format version, analyzer version, BM25 parameters, counts, build date,
  the corpus paths it was built from (and what was added later), and the SHA-256 of every
  other file;
* ``lexicon.*``: the attested word forms the analyzer strips clitics against (a sorted string table,
  looked up by hash: no set is built at load);
* articles: ``article_ids.*`` (a :class:`~retrieval.index.columns.StringTable`), ``titles.*``,
  ``sources.*``, ``urls.*``, ``dates.*`` (string columns), ``article_flags.npy`` (title derived,
  which optional fields are set), ``days.npy`` (each article's date as a day ordinal),
  ``texts.*`` (each article's text, zlib-compressed), ``article_passages.npy`` (first passage of
  each article);
* passages: ``passages.npy`` (article, start, end: character offsets into the article text),
  ``sentence_ptr.npy`` and ``sentences.npy`` (start, end, paragraph of every sentence);
* sentence terms: ``sentence_term_ptr.npy``, ``sentence_terms.npy``, ``sentence_term_spans.npy``
  (the analysed terms of every sentence, with offsets) and ``title_term_ptr.npy``,
  ``title_terms.npy`` (of every real title): what answers read instead of analysing (see
  :mod:`~retrieval.index.sentences`);
* postings: ``vocab.*`` (terms in first-occurrence order), ``df.npy``, ``post_docs.npy``,
  ``post_tf.npy`` (term-major: the passages and term frequencies of term 0, then term 1, ...),
  ``doc_len.npy`` (tokens per passage), ``idf.npy`` (BM25Okapi IDF per term);
* actors: ``mentions.npy`` (article, start, end, group of every mention), ``article_mentions.npy``,
  ``actor_types.npy``, ``article_actors.npy``, ``actor_texts.*``, ``actor_roles.*`` (per group of
  aliases: see :mod:`~retrieval.index.mentions`), and the actor index's keys and words
  (``actor_keys.*``, ``actor_words.*``, ``actor_key_ids.npy``...: :mod:`~retrieval.index.actor_keys`);
* stories: ``minhash.npy`` (each article's MinHash signature) and ``stories.npy`` (each article's
  story: the first article of its group; see :mod:`~retrieval.index.story_store`).

Arrays are ``.npy`` files memory-mapped at load (``allow_pickle=False``): loading costs a
checksum pass and no parsing, and a serving process keeps in memory what its queries touch.

Incremental additions (:meth:`Index.add`): new articles are segmented and analysed, appended
after the existing passages, and the BM25 statistics (document frequencies, IDF, average
length) are recomputed for the whole index, so scores are exactly those of a BM25Okapi over all
stored passages; the new articles are tagged and their mentions appended. The lexicon grows with the new articles' words; passages already indexed keep
the analysis they got, so an extended index can differ slightly from a full rebuild where a
new article makes a clitic form attested for the first time (see docs/scale.md, "Incremental additions").
Their sentences keep it too (their stored terms are appended to, never recomputed: answers weigh
a sentence with the terms its passage is searched by), while the actor keys are computed again
over every group from the stored words (a new full name can make a one-word name ambiguous).
"""

from typing import TYPE_CHECKING

from .core import Index, ProgressFn
from .manifest import FORMAT_VERSION, read_manifest
from .mentions import MentionStore, StoredMention
from .postings import DEFAULT_PARAMS, BM25Params, DocFreq, Postings
from .query import Hit
from .stores import ArticleStore, PassageStore

if TYPE_CHECKING:
    from .builder import AddReport, passage_text

# Building (and the tagging it runs) is imported when first used: answering from a saved index
# needs none of it.
_BUILDER = {"AddReport", "passage_text", "_passage_text"}  # _passage_text: tests/test_bm25_parity.py's name


def __getattr__(name: str):
    if name in _BUILDER:
        from . import builder

        value = getattr(builder, name.lstrip("_"))
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DEFAULT_PARAMS",
    "FORMAT_VERSION",
    "AddReport",
    "ArticleStore",
    "BM25Params",
    "DocFreq",
    "Hit",
    "Index",
    "MentionStore",
    "PassageStore",
    "Postings",
    "ProgressFn",
    "StoredMention",
    "passage_text",
    "read_manifest",
]
