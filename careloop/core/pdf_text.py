"""Text for PDFs drawn with fpdf2's core fonts, which hold Latin-1 only: receipts and
message thread exports share it."""

import unicodedata

_PLAIN = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}


def latin1(text: str) -> str:
    """`text` in the characters the PDF core fonts have."""
    characters = []
    for character in text:
        character = _PLAIN.get(character, character)
        try:
            character.encode("latin-1")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFKD", character)
            character = "".join(c for c in decomposed if not unicodedata.combining(c))
            if not character or not character.isascii():
                character = "?"
        characters.append(character)
    return "".join(characters)
