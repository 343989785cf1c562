#!/usr/bin/env python3
"""Generate lib/text/unicode_table.h, the character data of the normaliser.

Run:  python3 lib/text/unicode_gen.py  (writes unicode_table.h next to itself)
The output depends on the Unicode version of this Python's unicodedata,
which is written into the header; regenerating with another Python may
change how some texts are signed.

For every code point the table gives a class and a simple case fold:
  SEP      separates words
  WORD     letter, mark or digit (general categories L*, M*, N*), and U+FFFD,
           which stands for undecodable bytes and counts as a letter
  NOSPACE  a word character of a script written without spaces; each such
           character is a word by itself
  APOS     an apostrophe; dropped between two WORD characters, else SEP
The fold is c.casefold() when that is one code point, else c.lower() when
that is one code point, else c itself.

Layout: stage1[cp >> SHIFT] names a block of 1 << SHIFT bytes in stage2;
stage2 holds an index into props, the distinct (class, fold delta) pairs.
Storing the fold as a delta from cp lets the many blocks where every letter
folds by the same offset (or not at all) share one copy.
"""

import os
import sys
import unicodedata

SHIFT = 7
APOSTROPHES = {0x0027, 0x2019, 0x02BC, 0xFF07}

# Scripts written without spaces, as block ranges. Only the word characters
# in them become NOSPACE; their punctuation and symbols stay separators
# (blocks of such scripts holding only symbols are therefore left out).
NOSPACE_RANGES = [
    (0x0E00, 0x0E7F),    # Thai
    (0x0E80, 0x0EFF),    # Lao
    (0x1000, 0x109F),    # Myanmar
    (0x1780, 0x17FF),    # Khmer
    (0x3000, 0x303F),    # CJK Symbols and Punctuation (iteration marks,
                         # ideographic zero, Hangzhou numerals)
    (0x3040, 0x309F),    # Hiragana
    (0x30A0, 0x30FF),    # Katakana
    (0x3190, 0x319F),    # Kanbun
    (0x31F0, 0x31FF),    # Katakana Phonetic Extensions
    (0x3400, 0x4DBF),    # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),    # CJK Unified Ideographs
    (0xA9E0, 0xA9FF),    # Myanmar Extended-B
    (0xAA60, 0xAA7F),    # Myanmar Extended-A
    (0xF900, 0xFAFF),    # CJK Compatibility Ideographs
    (0xFF65, 0xFF9F),    # Halfwidth Katakana
    (0x1AFF0, 0x1B16F),  # Kana Extended-B, Kana Supplement, Kana
                         # Extended-A, Small Kana Extension
    (0x20000, 0x3FFFF),  # planes 2 and 3: CJK ideograph extensions B-G
                         # and their compatibility supplement
]

SEP, WORD, NOSPACE, APOS = 0, 1, 2, 3
MAX_CP = 0x110000


def char_class(cp):
    if cp in APOSTROPHES:
        return APOS
    if cp != 0xFFFD and unicodedata.category(chr(cp))[0] not in "LMN":
        return SEP
    if any(lo <= cp <= hi for lo, hi in NOSPACE_RANGES):
        return NOSPACE
    return WORD


def simple_fold(cp):
    c = chr(cp)
    for f in (c.casefold(), c.lower()):
        if len(f) == 1:
            return ord(f)
    return cp


def build():
    classes = [char_class(cp) for cp in range(MAX_CP)]
    folds = [simple_fold(cp) for cp in range(MAX_CP)]

    # normalize.c emits folded characters and relies on folding being final
    # and keeping the class: the character stream then splits into exactly
    # the words that word mode hashes.
    for cp in range(MAX_CP):
        if classes[cp] in (WORD, NOSPACE):
            f = folds[cp]
            if folds[f] != f or classes[f] != classes[cp]:
                sys.exit("unicode_gen: U+%04X folds to U+%04X, which folds "
                         "again or has another class" % (cp, f))

    props = sorted({(classes[cp], folds[cp] - cp) for cp in range(MAX_CP)})
    if len(props) > 256:
        sys.exit("unicode_gen: %d distinct properties do not fit a byte"
                 % len(props))
    prop_index = {p: i for i, p in enumerate(props)}

    size = 1 << SHIFT
    blocks = {}
    stage1 = []
    for start in range(0, MAX_CP, size):
        block = tuple(prop_index[(classes[cp], folds[cp] - cp)]
                      for cp in range(start, start + size))
        stage1.append(blocks.setdefault(block, len(blocks)))
    if len(blocks) > 256:
        sys.exit("unicode_gen: %d blocks do not fit a byte" % len(blocks))
    stage2 = [i for block in blocks for i in block]
    return props, stage1, stage2


def c_array(ctype, name, values, fmt, per_line):
    lines = ["static const %s %s[%d] = {" % (ctype, name, len(values))]
    for i in range(0, len(values), per_line):
        lines.append("    " + ",".join(fmt % v for v in values[i:i + per_line])
                     + ",")
    lines.append("};")
    return "\n".join(lines)


def main():
    props, stage1, stage2 = build()
    # A property is a uint32: the class in the low 2 bits, the fold delta
    # modulo 2^30 above them, so (cp + (p >> 2)) mod 2^30 is the fold.
    packed = [((delta % (1 << 30)) << 2) | cls for cls, delta in props]
    total = len(stage1) + len(stage2) + 4 * len(packed)
    out = [
        "/* generated by lib/text/unicode_gen.py, do not edit.",
        " *",
        " * Character classes and simple case folds of Unicode %s (Python's"
        % unicodedata.unidata_version,
        " * unicodedata). %d bytes of tables. */" % total,
        "#ifndef SHEAF_UNICODE_TABLE_H",
        "#define SHEAF_UNICODE_TABLE_H",
        "",
        "#include <stdint.h>",
        "",
        "#define UC_SEP %d" % SEP,
        "#define UC_WORD %d" % WORD,
        "#define UC_NOSPACE %d" % NOSPACE,
        "#define UC_APOS %d" % APOS,
        "",
        "#define UC_SHIFT %d" % SHIFT,
        "#define UC_FOLD_MASK 0x3FFFFFFFu",
        "",
        c_array("uint32_t", "uc_props", packed, "0x%08xu", 6),
        "",
        c_array("uint8_t", "uc_stage1", stage1, "%d", 24),
        "",
        c_array("uint8_t", "uc_stage2", stage2, "%d", 32),
        "",
        "#endif",
        "",
    ]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "unicode_table.h")
    with open(path, "w", encoding="ascii") as f:
        f.write("\n".join(out))
    print("unicode_gen: wrote %s (%d blocks, %d properties, %d bytes)"
          % (path, len(set(stage1)), len(props), total))


if __name__ == "__main__":
    main()
