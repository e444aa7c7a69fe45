"""Pages for one's recommendations and feedback history, and the staff model dashboard."""

app_name = "recommender"

urlpatterns = []
