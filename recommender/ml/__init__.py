"""The ranking model, in TensorFlow and pandas only: nothing here imports Django.

TensorFlow Recommenders needs Keras 2, chosen when TensorFlow is first imported, so the switch
is set here too for code (tests, benchmarks, notebooks) that imports this package without
Django.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
