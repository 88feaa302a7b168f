from pipeline.extraction.clean import clean_text, normalize_text


def test_boilerplate_lines_and_comment_tails_go(rules):
    text = (
        "Moscow and Tehran signed the deal.\nFollow us on Telegram, Facebook and X.\nShare on:\n"
        "Second paragraph of the story.\n3 Comments\nGreat article, thanks!"
    )
    assert clean_text(text, rules) == "Moscow and Tehran signed the deal.\nSecond paragraph of the story."


def test_long_lines_are_never_dropped_as_boilerplate(rules):
    long_line = "Share on: " + "the treaty covers energy and transport " * 6
    assert clean_text(long_line, rules) == long_line.strip()


def test_unicode_is_normalized_and_controls_removed():
    nfd = "Cafe\u0301 \x00da\x07ta \ud800x"
    assert normalize_text(nfd) == "Café data x"


def test_zero_width_non_joiner_survives():
    assert normalize_text("همکاری\u200cهای دو کشور") == "همکاری\u200cهای دو کشور"


def test_mojibake_is_repaired_only_when_detected():
    assert normalize_text("Russiaâ€™s treaty") == "Russia’s treaty"
    assert normalize_text("Россия и Иран") == "Россия и Иран"


def test_markup_is_stripped_with_script_content():
    assert normalize_text("<p>Text <script>alert('x')</script><b>bold</b></p>") == "Text bold"
