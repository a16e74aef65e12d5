"""Partner offers and their single-use redemption codes (docs/offers.md)."""
