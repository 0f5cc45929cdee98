#!/usr/bin/env python3
"""The shared tokenizer corpus (scripts/ref/tok_ref.py, tokenizer_ref.py):
strings as bytes, so invalid UTF-8 can be among them.

    corpus(vocab_tokens=None, seed=1) -> list of bytes

Every script we could think of, emoji with skin-tone modifiers, ZWJ
sequences, flags and keycaps, all 25 White_Space characters alone and in
runs, numbers in many notations and digit systems, code in several
languages, text that looks like special tokens (generic forms, plus the
vocabulary's own CONTROL/USER_DEFINED tokens when vocab_tokens is given:
alone, embedded, adjacent, broken), the empty string, invalid UTF-8, and
seeded random mixtures (of fixed pieces, and of the vocabulary's own token
texts). No dependency beyond the standard library.
"""
import random

# ---- the strings of tests/data/tokenizer/smollm2_ref.txt (kept as they were)
BASE = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t x", "a", "A", "Hello", " Hello",
    "Hello world", "Hello  world", "Hello   world  ", "hello\nworld", "Hello, world!", "It's", "it's",
    "I'm", "you're", "we've", "they'll", "he'd", "IT'S", "don't", "O'Neil", "'s", "'", "''",
    "123", "1234567890", " 42", "3.14159", "1,000,000", "-7", "+1e-10", "0x1F", "v1.2.3", "2024-11-27",
    "12:30pm", "$100", "50%", "#1", "a1b2c3", "abc123def", "١٢٣", "一二三", "½", "Ⅻ",
    "!!!", "?!", "...", "…", "---", "***", "(a)", "[b]", "{c}", "<d>", "a&b", "a|b", "~/x", "@user",
    "café", "naïve", "résumé", "Ångström", "straße", "Ελληνικά", "русский язык", "Привет, мир!",
    "中文测试", "东京是日本的首都。", "日本語のテキスト", "한국어 문장", "العربية", "مرحبا بالعالم",
    "עברית", "हिन्दी", "ภาษาไทย", "Tiếng Việt", "ქართული", "Հայերեն", "አማርኛ", "ᚠᚢᚦ",
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "❤️", "I ❤️ NY", "emoji 🎉🎉 party", "💯%",
    "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
    "#include <stdio.h>", "console.log('hi');", "SELECT * FROM t WHERE a = 1;", "x => x + 1",
    "<html><body>Hi</body></html>", "{\"key\": [1, 2, 3]}", "https://example.com/path?q=1&r=2",
    "user@example.com", "C:\\Program Files\\x", "/usr/local/bin", "a_b_c", "CamelCaseName",
    "snake_case_name", "SCREAMING_CASE", "    indented", "trailing   ", "mixed \t tabs \n and spaces",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|>user\nhi<|im_end|>",
    "text<|im_end|>more", "<|im_start", "<|im_start|><|im_end|>", "< |im_start| >", "<file_sep>",
    "<repo_name>x", "<reponame>", "Ġ", "Ċ", "\u00a0", "\u2003em space", "zero\u200bwidth",
    "\u0301", "e\u0301", "ﬁ", "Ｆｕｌｌｗｉｄｔｈ", "x²", "α+β=γ", "∑∫∂", "→←↑↓", "©®™", "°C",
    "The quick brown fox jumps over the lazy dog.", "THE QUICK BROWN FOX", "tHe QuIcK",
    "Supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "\U0002EBF0\U0002EBF1 x", "\u2FFC\u31EF", "a+b=c<d>e^f~g|h$i", "1234567 89 1,234.5678",
    "a" * 50, "ab" * 40, " " * 20 + "x", "\n" * 10, "=" * 30, "1" * 30, "😀" * 5,
]

# Invalid UTF-8: stray continuation bytes, truncated sequences, overlong
# forms, surrogates, bytes that start nothing. (A code point above U+10FFFF,
# b"\xf4\x90\x80\x80", aborts llama.cpp 0.3.36: not in the corpus.)
INVALID = [b"ok \xff\xfe mid", b"\xc3", b"end \xe2\x82", b"\xed\xa0\x80 x",
           b"\xc1\x81", b"\x80\x80abc", b"caf\xc3", b"\xf8\x88\x80\x80\x80", b"a\xe2\x82\xacb\xe2"]

INVALID_MORE = [b"\xff", b"\xfe\xff", b"\x80", b"\xbf", b" \xc0\xaf ", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
                b"\xed\xbf\xbf", b"\xef\xbf\xbe", b"\xf0\x9f\x98", b"\xf0\x9f", b"Hello\xc3 world",
                b"\xe4\xb8", b"\xe4\xb8\xad\xe6", b"\xc3\xa9\xc3", b"x\x00y", b"\x00", b"\x01\x02\x1f\x7f",
                b"<|im_end|\xff>", b"\xf0\x9f\x98\x80\x80", b"   \xff   ", b"\n\xfe\n", b"12\xff34",
                b"\xc2\xa0\xc2", b"\xe2\x80\x8b\xe2\x80"]

SCRIPTS = [
    # Latin with diacritics
    "Le cœur a ses raisons que la raison ne connaît point.", "Über den Wolken muß die Freiheit wohl grenzenlos sein.",
    "¿Dónde está la biblioteca? ¡Allí!", "Não há mal que sempre dure.", "Zażółć gęślą jaźń.", "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Pijamalı hasta yağız şoföre çabucak güvendi.", "Ta ngồi đây, nhìn trời xanh.", "Árvíztűrő tükörfúrógép", "Þetta reddast.",
    "Hyvää päivää, miten menee?", "Îmi place să citesc.", "Dziękuję bardzo!", "Åse åt ål på ön.", "İstanbul ıslak",
    "ǅemal ǈubljana ǋoć", "Ŋŋ Ƿƿ Ȝȝ Þþ Ðð", "ﬀﬁﬂﬃﬄ", "ÀÁÂÃÄÅàáâãäå", "ꜲꜳꝎꝏ",
    # Greek, Cyrillic, Armenian, Georgian
    "Γαζίες καὶ μυρτιὲς δὲν θὰ βρῶ πιὰ στὸ χρυσαφὶ ξέφωτο.", "ἀρχὴ ἥμισυ παντός", "Съешь же ещё этих мягких французских булок.",
    "Щастя — це коли тебе розуміють.", "Българският език", "Ћирилица и латиница", "Բարեւ Ձեզ", "გამარჯობა, მსოფლიო", "ᲒᲐᲛᲐᲠᲯᲝᲑᲐ",
    # Right-to-left
    "שלום עולם! מה שלומך?", "سلام دنیا، چطوری؟", "یہ اردو ہے۔", "ܫܠܡܐ ܥܠܡܐ", "ދިވެހި", "ߒߞߏ", "مَرْحَبًا", "ﷺ ﷽",
    "English then عربي then English", "(مرحبا)", "١٢٣٤٥٦٧٨٩٠", "۱۲۳۴۵۶۷۸۹۰",
    # Indic
    "नमस्ते दुनिया", "मराठी भाषा", "নমস্কার বিশ্ব", "ਸਤਿ ਸ੍ਰੀ ਅਕਾਲ", "નમસ્તે", "ନମସ୍କାର", "வணக்கம் உலகம்", "నమస్కారం", "ನಮಸ್ಕಾರ",
    "നമസ്കാരം ലോകം", "ආයුබෝවන්", "क्षत्रिय ज्ञान श्री", "०१२३४५६७८९", "৳১২৩", "௧௨௩",
    # Southeast Asian and others
    "สวัสดีชาวโลก ๑๒๓", "ສະບາຍດີ", "བཀྲ་ཤིས་བདེ་ལེགས།", "မင်္ဂလာပါ", "សួស្តី​ពិភពលោក", "ᠮᠣᠩᠭᠣᠯ", "ሰላም ዓለም", "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ", "ᐃᓄᒃᑎᑐᑦ",
    "ᚻᛖ ᚳᚹᚫᚦ ᚦᚫᛏ", "᚛ᚑᚌᚐᚋ᚜", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "ꦗꦮ", "ᬩᬮᬶ", "ꕙꔤ", "𞤀𞤣𞤤𞤢𞤥", "𐓏𐓘𐓻", "ꆈꌠꁱꂷ", "ㄅㄆㄇㄈ",
    # East Asian
    "我能吞下玻璃而不伤身体。", "我能吞下玻璃而不傷身體。", "いろはにほへと ちりぬるを", "カタカナとひらがな、漢字。", "ｶﾀｶﾅ ﾊﾝｶｸ",
    "키스의 고유조건은 입술끼리 만나야 하고", "ᄀᄁᄂ ᅡᅢ ᆨᆩ", "中文English混合123", "日本語（にほんご）です。", "「引用」『二重』【括弧】",
    "𠀀𠀁𠀂 𪚥", "〇一二三四五六七八九十百千万", "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", "　全角スペース　",
    # historic and other planes
    "𓀀𓀁𓀂 hieroglyphs", "𐀀𐀁 Linear B", "𐌰𐌱𐌲 Gothic", "𐐀𐐨 Deseret", "𒀀𒀁 cuneiform", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 𝐁𝐨𝐥𝐝",
    "𝟘𝟙𝟚 𝟙𝟚𝟛", "⠓⠑⠇⠇⠕ braille", "┌──┐\n│ab│\n└──┘", "𝄞𝄢 music", "♔♕♖ ♠♥♦♣", "☃☂☀", "⌘⌥⇧⌃",
    # combining marks
    "a\u0300\u0301\u0302", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357",
    "\u0915\u094d\u0937", "\u0e01\u0e34\u0e4a", "e\u0301\u0301\u0301", "n\u0303o", "\u05e9\u05c1\u05b8", "\u0627\u064e\u0644\u0652",
    "\u1100\u1161\u11a8", "\u3099\u309a", "\u20dd\u20de", "a\u200db", "a\u200cb", "a\u2060b", "\ufeffBOM", "x\u00adsoft hyphen",
]

EMOJI = [
    "👋", "👋🏻", "👋🏼", "👋🏽", "👋🏾", "👋🏿", "🧑‍💻", "👩🏽‍🚀", "👨‍❤️‍💋‍👨", "👩‍👩‍👦", "🧑🏻‍🤝‍🧑🏿", "🏴‍☠️",
    "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "🇯🇵🇺🇸🇩🇪", "🇦", "1️⃣2️⃣#️⃣*️⃣", "©️®️", "☺", "☺️", "✌🏾 peace", "🤷‍♀️", "🙇‍♂️", "🐕‍🦺",
    "😀😃😄😁😆", "Good morning ☀️🌅!", "🔥🔥🔥 hot", "(╯°□°)╯︵ ┻━┻", "¯\\_(ツ)_/¯", ":-) ;-) :D", "<3 </3",
    "🫠🫨🪿", "🧬🦠", "🏻", "\u200d", "\ufe0f", "❤\ufe0f\u200d🔥", "👁️‍🗨️", "💁🏽‍♂️ and 💁🏼‍♀️",
]

WHITESPACE_CHARS = ["\t", "\n", "\u000b", "\u000c", "\r", " ", "\u0085", "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002",
                    "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029",
                    "\u202f", "\u205f", "\u3000"]


def whitespace():
    out = []
    for w in WHITESPACE_CHARS:
        out += [w, "a" + w + "b", w * 3 + "x", "x" + w * 2]
    for n in range(1, 10):
        out += [" " * n, " " * n + "a", "a" + " " * n + "b", "\t" * n + "x", "\n" * n + "y", "x" + "\r\n" * n]
    out += [" \t \n \r\n ", "\n \n \n", "a \n b", "a\n\n\nb", "a\r\rb", "  \n  x", "x  \n", "x \n\n ", "\t\n\t\n",
            "word \u3000word", " \u00a0 ", "end with space ", " start with space", "a\u2028b\u2029c", "\r", "\r\n\r\n",
            "line1\nline2\r\nline3\rline4", "    def f():\n        pass\n", "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
            " " * 33 + "\n", "\t" * 17, "a" + " " * 100 + "b"]
    return out


def numbers():
    out = ["0", "7", "42", "1000", "65536", "3141592653589793238462643383279", "0.5", ".5", "5.", "1e10", "1E-5",
           "6.022e23", "-0", "+-1", "1/2", "3:4", "10%", "99.9%", "$1,234.56", "€12,50", "£3", "¥1000", "₹500", "₩10",
           "1st 2nd 3rd 4th", "2024", "1999-12-31T23:59:59Z", "+1 (555) 123-4567", "192.168.0.1", "::1", "0b1010",
           "0o777", "0xDEADBEEF", "1_000_000", "1'000'000", "10⁻³", "x₁ + x₂", "²³¹", "¼ ½ ¾", "Ⅰ Ⅱ Ⅲ Ⅳ", "ⅰⅱⅲ",
           "١٢٣٫٤٥", "੧੨੩", "๑๒๓", "１２３４５", "٤٢", "۴۲", "𝟏𝟐𝟑", "①②③", "⑴⑵", "🔟", "π ≈ 3.14", "√2", "∞",
           "v2.0.1-rc.1", "ISBN 978-3-16-148410-0", "#123456", "A1B2C3D4", "12abc34def", "a1", "1a", "007", "000"]
    for n in range(1, 13):
        out.append("".join(str((i * 7 + 3) % 10) for i in range(n)))
        out.append("x" + "9" * n + "y")
    return out


CODE = [
    "import numpy as np\nx = np.zeros((3, 4), dtype=np.float32)\nprint(x.shape)\n",
    "class Foo(Bar):\n    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n",
    "int main(int argc, char **argv)\n{\n\treturn argc > 1 ? atoi(argv[1]) : 0;\n}\n",
    "#define MAX(a, b) ((a) > (b) ? (a) : (b))", "std::vector<std::string> v{\"a\", \"b\"};",
    "fn main() {\n    let v: Vec<i32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}",
    "func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {}",
    "const f = async (x) => { await g(x?.y ?? 0); };", "let s = `template ${a + b}`;", "a !== b && c === d || !e",
    "#!/bin/sh\nset -eu\nfor f in *.txt; do echo \"$f\"; done 2>/dev/null | sort -u\n",
    "SELECT id, COUNT(*) AS n FROM users GROUP BY id HAVING n > 1 ORDER BY n DESC;",
    "<div class=\"x\" id='y'>&amp; &lt;tag&gt; &#x1F600;</div>", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    "{\"a\": {\"b\": [true, false, null]}, \"c\": \"\\u00e9\\n\"}", "key: value\nlist:\n  - one\n  - two\n",
    "^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)@\\w+\\.[a-z]{2,}$", "\\begin{equation} E = mc^2 \\end{equation}",
    "\\frac{\\partial L}{\\partial \\theta}", "# Title\n\n* item\n* **bold** and _italic_\n\n```py\nx = 1\n```\n",
    "--- a/file.c\n+++ b/file.c\n@@ -1,3 +1,4 @@\n-old\n+new\n", "x+=1;y-=2;z*=3;w/=4;", "a<<=2; b>>=3; c**d; e//f",
    "if(a){b();}else{c();}", "printf(\"%d %s %5.2f\\n\", i, s, f);", "        return;\n    }\n}\n",
    "/* comment */ // line comment\n# hash comment", "<script>alert('x')</script>", "$ ls -la ~/.config",
    "git commit -m \"fix: off-by-one\"", "s = 'It''s'", "don't", "'''docstring'''", "\"\"\"triple\"\"\"",
    "λx.x", "::std::", "->", "=>", "!=", "<=>", "...", "??", "|>", "@@", "##", "~~", "``", "''", "\"\"",
]

SPECIAL_LIKE = [
    "<s>", "</s>", "<unk>", "<pad>", "<mask>", "<bos>", "<eos>", "<|endoftext|>", "<|begin_of_text|>",
    "<|end_of_text|>", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", "<|eot_id|>", "<|eom_id|>",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n", "<start_of_turn>user\nHi<end_of_turn>\n",
    "<start_of_turn>model\n", "<end_of_turn>", "[INST] hi [/INST]", "<<SYS>>\nsys\n<</SYS>>", "<|user|>\nhi<|end|>\n<|assistant|>",
    "<|system|>", "<|end|>", "<fim_prefix>a<fim_suffix>b<fim_middle>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
    "<|file_separator|>", "<|repo_name|>", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<|User|>", "<|Assistant|>",
    "<think>\nhmm\n</think>", "<tool_call>{}</tool_call>", "<|vision_start|><|image_pad|><|vision_end|>", "<|START_OF_TURN_TOKEN|>",
    "<|END_OF_TURN_TOKEN|>", "<|CHATBOT_TOKEN|>", ">>INTRODUCTION<<", ">>SUFFIX<<", "<0x41>", "<0x0A>", "<0xFF>", "▁", "▁▁hello",
    "<s><s></s>", "< s >", "<S>", "</s >", "<<s>>", "<|endoftext|><|endoftext|>", "x<|endoftext|>y", "<|endoftext",
    "endoftext|>", "<||>", "<|>", "<>", "<image>", "<start_of_image>", "<unused0>", "[UNK]", "[CLS] [SEP]", "<mask_1>",
]


def fixed():
    return BASE + SCRIPTS + EMOJI + whitespace() + numbers() + CODE + SPECIAL_LIKE


POOL = ["the", " cat", " The", "2", "99", "1234", " ", "  ", "   ", "\n", "\n\n", "\t", ",", ".", "!", "?", "'s", "'T",
        "é", "ñ", "中", "文", "日本", "한", "🙂", "👍🏽", "‍", "<|im_end|>", "<s>", "</s>", "Hello", "x", "_", "-", "ß",
        "Ω", "Ж", "٣", "...", "\u00a0", "\u3000", "(", ")", "{", "}", "=", "==", "->", "//", "#", "$", "@", "\u0301",
        "ا", "ب", "क", "ि", "ก", "่", "\r\n", "0", "00", "a", "A", "z", "Z", "'", '"', "`", "~", "^", "|", "\\"]


def mixtures(rng, n):
    return ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 16))) for _ in range(n)]


def special_extras(rng, tokens):
    """tokens: (text, type) of the vocabulary; its CONTROL (3) and
    USER_DEFINED (4) tokens, alone, embedded, adjacent and broken."""
    sp = [t for t, ty in tokens if ty in (3, 4) and t]
    if not sp:
        return []
    pick = sp if len(sp) <= 24 else sp[:8] + rng.sample(sp[8:], 16)
    out = []
    for t in pick:
        out += [t, "a" + t + "b", " " + t + " ", t + t, t[:-1], t[1:]]
    for _ in range(20):
        out.append("".join(rng.choice(pick + [" ", "x", "\n", "Hi", " 42"]) for _ in range(rng.randint(2, 8))))
    return out


def token_extras(rng, tokens, n):
    """Concatenations of the vocabulary's normal tokens (SentencePiece ▁ as
    space, byte-level BPE letters mapped back to bytes where they are
    valid UTF-8)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, k = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + k)
            k += 1
    inv = {chr(c): b for b, c in zip(bs, cs)}
    normal = [t for t, ty in tokens if ty == 1 and t]
    if not normal:
        return []
    bytelevel = sum(1 for t in normal[:2000] if "Ġ" in t) > 20
    out = []
    for _ in range(n):
        parts = []
        for t in rng.sample(normal, rng.randint(1, 6)):
            if bytelevel:
                try:
                    parts.append(bytes(inv[ch] for ch in t).decode("utf-8"))
                except (KeyError, UnicodeDecodeError):
                    continue
            else:
                parts.append(t.replace("\u2581", " "))
        out.append("".join(parts))
    return out


def corpus(vocab_tokens=None, seed=1):
    rng = random.Random(seed)
    strs = fixed() + mixtures(rng, 120)
    if vocab_tokens:
        strs += special_extras(rng, vocab_tokens) + token_extras(rng, vocab_tokens, 40)
    out, seen = [], set()
    for s in strs:
        b = s if isinstance(s, bytes) else s.encode("utf-8")
        if b not in seen:
            seen.add(b)
            out.append(b)
    for b in INVALID + INVALID_MORE:
        if b not in seen:
            seen.add(b)
            out.append(b)
    return out


if __name__ == "__main__":
    c = corpus()
    print(len(c), "strings,", sum(map(len, c)), "bytes")
