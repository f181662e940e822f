import unicodedata


def fold(text: str) -> str:
    """Lower case without accents: the form names are compared in ("Zoë" -> "zoe")."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
