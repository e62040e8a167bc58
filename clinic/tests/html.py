"""Reading our pages in tests: one parser builds a tree of elements, read two ways.

`html(response)` gives the tree, to find an element and look at its attributes, neighbours and text (the
intake tests). `Page(markup)` gives what a patient sees and can use: the page's text laid out as a browser
lays it out, its form controls, labels, links and timestamps (the booking tests).
"""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK = {"br", "button", "caption", "dd", "div", "dl", "dt", "form", "h1", "h2", "h3", "label", "li", "ol", "p"}
BLOCK |= {"section", "table", "td", "th", "tr", "ul", "header", "footer", "main"}
CONTROLS = {"input", "select", "textarea"}


class Element:
    def __init__(self, tag: str, attrs: dict, parent: "Element | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    @property
    def text(self) -> str:
        """Its words, with a space around every element inside it."""
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else f" {child.text} ")
        return " ".join("".join(parts).split())

    @property
    def visible_text(self) -> str:
        """Its words as a browser shows them: a space around paragraphs, cells and other blocks, none around
        inline elements, so "<strong>$99</strong>," reads "$99,"."""
        return " ".join(self._visible_parts().split())

    def _visible_parts(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag in BLOCK:
                parts.append(f" {child._visible_parts()} ")
            else:
                parts.append(child._visible_parts())
        return "".join(parts)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list["Element"]:
        return [
            el
            for el in self.iter()
            if (tag is None or el.tag == tag) and all(el.attrs.get(k) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs) -> "Element | None":
        return next(iter(self.find_all(tag, **attrs)), None)

    def by_id(self, element_id: str) -> "Element | None":
        return next((el for el in self.iter() if el.attrs.get("id") == element_id), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def html(response_or_markup) -> Element:
    markup = response_or_markup if isinstance(response_or_markup, str) else response_or_markup.content.decode()
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


class Page:
    """What a patient sees and can use on a page: its text, form controls, labels, links, buttons and timestamps."""

    def __init__(self, markup: str):
        root = html(markup)
        elements = list(root.iter())
        self.controls: list[dict] = [{"tag": el.tag, **el.attrs} for el in elements if el.tag in CONTROLS]
        self.label_for: list[str] = [el.attrs.get("for") for el in elements if el.tag == "label"]
        self.links: list[tuple[str, str]] = [(a.attrs.get("href"), a.visible_text) for a in root.find_all("a")]
        # Each button with the address it posts to (its own formaction, else its form's action) and its words.
        self.buttons: list[tuple[str, str]] = [
            (
                b.attrs.get("formaction")
                or next((f.attrs.get("action") for f in b.ancestors() if f.tag == "form"), ""),
                b.visible_text,
            )
            for b in root.find_all("button")
        ]
        self.times: list[tuple[str, str]] = [(t.attrs.get("datetime"), t.visible_text) for t in root.find_all("time")]
        self.by_id: dict[str, str] = {el.attrs["id"]: el.visible_text for el in elements if "id" in el.attrs}
        self.text = root.visible_text
