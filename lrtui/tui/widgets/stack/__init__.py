"""The stack view: a batch's RunScript outputs side by side (groups of identical outputs with the outliers
marked, every distinct line rarest first, one machine's diff against the majority). Opened from Activity."""
