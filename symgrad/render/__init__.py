"""Writing results: LaTeX documents, TikZ diagrams and safe output files."""
