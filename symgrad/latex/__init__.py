"""LaTeX for symgrad: printing conventions, parsing of hand-written claims, documents, TikZ."""
