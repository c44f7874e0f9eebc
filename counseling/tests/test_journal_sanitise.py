"""The e-journal's rich text: what nh3 keeps and what it strips, and that text survives exactly."""

import pytest
from django.urls import reverse

from counseling.sanitise import sanitise_article_html as clean

pytestmark = pytest.mark.django_db  # reverse() of the image URL needs no database, but settings load


@pytest.mark.parametrize(
    ("dirty", "expected"),
    [
        ("<p>hi<script>alert(1)</script></p>", "<p>hi</p>"),
        ("<p onclick=\"alert(1)\" onmouseover='x'>hi</p>", "<p>hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="data:text/html,hi">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="/relative">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<p style="color:red">x</p>', "<p>x</p>"),
        ('<img src="https://evil.example/a.png">', "<img>"),
        ('<img src="//evil.example/counseling/journal/images/1/">', "<img>"),
        ('<img src="/counseling/journal/images/1/../../../admin/">', "<img>"),
        ('<iframe src="https://x"></iframe><p>ok</p>', "<p>ok</p>"),
        ("<style>p{}</style><div><span>text</span></div>", "text"),
        ("<!-- note --><h1>Title</h1>", "Title"),
        ('<svg><a href="x">y</a></svg>', ""),  # foreign content is dropped whole
    ],
)
def test_it_strips_what_is_not_allowed(dirty, expected):
    assert clean(dirty) == expected


def test_it_keeps_the_allowed_tags_and_our_images():
    src = reverse("counseling:journal_image", args=[42])
    html = (
        "<h2>标题</h2><h3>小标题</h3><p><strong>粗</strong> <em>斜</em><br></p><ul><li>一</li></ul><ol><li>二</li></ol>"
        '<blockquote>引用</blockquote><p><a href="https://www.12356.cn">热线</a>'
        ' <a href="mailto:xl@example.edu.cn">信</a>'
        f' <a href="http://example.com">x</a></p><p><img src="{src}" alt="图"></p>'
    )
    expected = (
        html.replace('">热线', '" rel="noopener noreferrer">热线')
        .replace('">信', '" rel="noopener noreferrer">信')
        .replace('">x</a>', '" rel="noopener noreferrer">x</a>')
    )
    assert clean(html) == expected


def test_links_get_rel_even_when_they_bring_their_own():
    assert clean('<a href="https://x.org" rel="opener" target="_blank">x</a>') == (
        '<a href="https://x.org" rel="noopener noreferrer">x</a>'
    )


@pytest.mark.parametrize(
    "text",
    [
        "心之专列：春天，与自己和解。",
        "ئۆيۈمنى سېغىندىم، لېكىن بۇ يەردىمۇ دوستلىرىم بار",
        "买买提·艾力 🌱😊👨‍👩‍👧 ✨",
        "Ünïcödé — “quotes” ‘single’ …",
    ],
)
def test_chinese_uyghur_and_emoji_text_is_preserved_exactly(text):
    assert clean(f"<p>{text}</p>") == f"<p>{text}</p>"


def test_html_special_characters_in_text_are_escaped_not_lost():
    assert clean("<p>1 < 2 & 3 > 2</p>") == "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"
