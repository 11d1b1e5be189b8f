"""The pages of a step card, one module per group of steps; cards.router picks and builds them."""
