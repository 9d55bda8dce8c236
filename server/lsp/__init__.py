"""The language server: pygls handlers, one module per LSP feature, over the shared `State`."""
