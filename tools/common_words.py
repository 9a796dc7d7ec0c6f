#!/usr/bin/env python3
"""Write cardgen/data/common_words.txt: the English words a cloze hides only when nothing rarer can be.

    pip install wordfreq==3.1.1 && python tools/common_words.py

A claim's best plain word to hide was its longest noun-like one, so "{{representation}}",
"{{Therefore}}" and "{{validity}}" were hidden beside "unit circle" or "70.3%". Words this common in
English (Zipf frequency 4.3 or more: about once in 50,000 words) say little about a video's topic.
Only words of four letters or more are listed: shorter ones are never a cloze's plain word.
"""

from importlib.metadata import version
from pathlib import Path

from wordfreq import top_n_list, zipf_frequency

ZIPF = 4.3
OUT = Path(__file__).resolve().parent.parent / "cardgen" / "data" / "common_words.txt"

words = sorted({w for w in top_n_list("en", 30_000) if zipf_frequency(w, "en") >= ZIPF and w.isalpha() and len(w) >= 4})
OUT.write_text(
    f"# English words with a Zipf frequency of {ZIPF} or more, four letters or longer ({len(words)} words).\n"
    f"# Made by tools/common_words.py from wordfreq {version('wordfreq')} "
    "(https://github.com/rspeer/wordfreq), whose data is licensed CC-BY-SA 4.0;\n"
    "# this list is shared under the same license.\n" + "\n".join(words) + "\n")
print(f"{OUT}: {len(words)} words")
