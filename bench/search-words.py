#!/usr/bin/env python3
"""Writes crates/magpie-bench/src/search_words.txt, the word-frequency list that
`magpie bench search` makes its corpus from: the 3,000 most frequent Chinese words and the
2,000 most frequent English words of wordfreq (https://pypi.org/project/wordfreq/, data
CC BY-SA 4.0), one `LANG<TAB>WORD<TAB>FREQUENCY PER BILLION WORDS` a line.

    python3 -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1
    /tmp/wf/bin/python bench/search-words.py > crates/magpie-bench/src/search_words.txt
"""
import re
import wordfreq

print("# wordfreq 3.1.1 (CC BY-SA 4.0): lang, word, occurrences per billion words; see bench/search-words.py")
for lang, n in (("zh", 3000), ("en", 2000)):
    freqs = wordfreq.get_frequency_dict(lang)
    words = [w for w in wordfreq.top_n_list(lang, n * 2)
             if (re.fullmatch(r"[\u4e00-\u9fff]+", w) if lang == "zh" else re.fullmatch(r"[a-z]+", w))][:n]
    for w in words:
        print(f"{lang}\t{w}\t{max(1, round(freqs[w] * 1e9))}")
