"""The Machines pane (pane 1)."""
