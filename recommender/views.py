"""Pages of the recommender."""
