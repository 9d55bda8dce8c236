"""The rule catalog: one class per file, one folder per family (see RULES.md)."""
