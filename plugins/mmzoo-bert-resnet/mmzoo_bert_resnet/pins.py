"""Hub revisions the plugin pins (kept free of torch imports: the plugin's registration reads it)."""

PINNED_REVISIONS = {"bert-base-uncased": "86b5e0934494bd15c9632b12f734a8a67f723594"}
