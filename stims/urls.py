"""Pages of the catalogue: search and filters, and one stim."""

app_name = "stims"

urlpatterns = []
