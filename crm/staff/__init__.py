"""Office staff: accounts, roles (admin, marketing, desk), sessions and API tokens."""
