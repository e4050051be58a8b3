"""Names of the Shapes worlds that both the data specs and the generator use (a leaf module, so that
neither imports the other for them)."""

VARIETIES = ("plain", "wild")  # the plain world, and the wild one of mmzoo.data.shapes.variety
HELD_OUT = "heldout"  # the wild world's extra split: its test scenes in a held-out style and phrasing
