"""Step cards, one module per group of steps; cards.router picks and builds them."""
