"""Analysis: reading Japanese text, the same way at index time and at query time.

Owns the Sudachi tokenizer and its terms (``tokenizer``), sentence boundaries (``sentences``),
passage splitting (``passages``), date windows in a question (``timeexpr``), Discord/Markdown
markup stripping (``markup``), what a question asks for (``question``, its vocabulary of
interrogatives and answer-kind nouns in ``question_words``, the units of the dimensions it names
in ``measures``) and the names it is about (``names``). Pure functions over
text and morphemes: no SQL, no scoring, no I/O beyond loading the dictionary. May import only
the shared foundations at the top of ``index`` (``models``, ``errors``, ``urls``, ``sanitize``).
"""
