"""Building blocks of the hand-written scenarios and the model-based state machine."""
