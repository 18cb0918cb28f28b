"""HTML pages read with lxml directly, for the adapters BeautifulSoup cannot serve within the
parse budget (≤ 10 ms of CPU per 100 KB of page).

lxml is already BeautifulSoup's tree builder here (`BeautifulSoup(body, "lxml")`): the same
libxml2 HTML parser, recovering from broken markup the same way, builds the same tree; what
BeautifulSoup adds on top — a Python object per node and a filter object per `find` — is what
costs. These helpers read lxml's tree the way the adapters read BeautifulSoup's: descendants in
document order, classes as words, text as `get_text` gives it (no comments, scripts, styles,
templates or ruby annotations), on one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Set
from typing import cast

from lxml import etree
from lxml.etree import _Element

from scanner.marketplaces.text import clean_text

#: The class of every element, as lxml's API reference names it.
Element = _Element

#: Elements whose text is code or annotation, not the page's words (BeautifulSoup's own list).
_NOT_TEXT = frozenset({"script", "style", "template", "rt", "rp"})


def parse_html(body: str) -> Element:
    """The page's root element, as BeautifulSoup's lxml tree builder parses it; an empty <html>
    element for a document with no elements (empty, whitespace, a lone comment)."""
    parser = etree.HTMLParser(collect_ids=False)
    try:
        parser.feed(body)
        root = parser.close()
    except etree.LxmlError:  # nothing to parse
        root = None
    return root if root is not None else etree.Element("html")


def elements(root: Element, tag: str | None = None, *, inclusive: bool = False) -> Iterator[Element]:
    """The elements under `root` in document order (no comments); only `tag` elements when given.
    `root` itself comes first when `inclusive` — for a search of the whole page, whose root is its
    <html> element, as BeautifulSoup searches its document."""
    selector = tag or etree.Element
    return root.iter(selector) if inclusive else root.iterdescendants(selector)


def classes(element: Element) -> list[str]:
    """The words of the element's `class` attribute."""
    value = element.get("class")
    return value.split() if value else []


def has_class(element: Element, name: str) -> bool:
    value = element.get("class")
    return value is not None and name in value.split()


def first(
    root: Element,
    tag: str | None = None,
    *,
    class_: str | None = None,
    attr: str | None = None,
    inclusive: bool = False,
) -> Element | None:
    """The first element under `root` (`elements`) that is a `tag`, has the class `class_` and
    carries the attribute `attr` (any value, even empty) — each condition only when given."""
    for element in elements(root, tag, inclusive=inclusive):
        if (attr is None or element.get(attr) is not None) and (class_ is None or has_class(element, class_)):
            return element
    return None


def class_index(root: Element) -> dict[str, list[Element]]:
    """Elements under `root` by class, in document order: one walk instead of a search per field."""
    index: dict[str, list[Element]] = {}
    for element in root.iterdescendants(etree.Element):
        value = element.get("class")
        if value:
            for name in value.split():
                index.setdefault(name, []).append(element)
    return index


def first_of(index: Mapping[str, list[Element]], *names: str) -> Element | None:
    """The first element `index` (`class_index`) holds of the first of `names` it has."""
    return next((index[name][0] for name in names if name in index), None)


def canonical_link(root: Element) -> str | None:
    """The `href` of the page's first `<link rel="canonical">` that has one."""
    for link in root.iter("link"):
        rel, href = link.get("rel"), link.get("href")
        if rel and href is not None and "canonical" in rel.split():
            return href
    return None


def og_url(root: Element) -> str | None:
    """The `content` of the page's first `<meta property="og:url">` that has one."""
    for meta in root.iter("meta"):
        content = meta.get("content")
        if meta.get("property") == "og:url" and content is not None:
            return content
    return None


def strings(element: Element, *, skip: Set[str] = frozenset()) -> Iterable[str]:
    """The element's text pieces in document order, as `get_text` finds them: text of comments
    and of script, style, template and ruby-annotation elements left out, and with it the text
    of descendants having one of the `skip` classes."""
    if len(element) == 0:  # no children: the one text, if any
        return (element.text,) if element.text else ()
    if not skip and next(element.iterdescendants(*_NOT_TEXT), None) is None:
        return cast(Iterator[str], element.itertext())  # leaves comments out; str for a parsed page
    return _strings(element, skip)


def _strings(element: Element, skip: Set[str]) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in _NOT_TEXT and (not skip or skip.isdisjoint(classes(child))):
            yield from _strings(child, skip)
        if child.tail:
            yield child.tail


def text(element: Element | None, *, skip: Set[str] = frozenset()) -> str | None:
    """The element's visible text on one line; None when the element or its text is missing."""
    if element is None:
        return None
    if len(element) == 0:  # most fields: one text or none
        return clean_text(element.text)
    return clean_text(" ".join(strings(element, skip=skip)))


def stripped_strings(element: Element) -> list[str]:
    """The element's text pieces, each stripped, empty ones left out (`Tag.stripped_strings`)."""
    return [stripped for piece in strings(element) if (stripped := piece.strip())]
