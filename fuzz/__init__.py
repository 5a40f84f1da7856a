"""Coverage-guided fuzzing (atheris) of the code that reads untrusted bytes.

``python -m fuzz --seconds 600`` runs every target for its share of the time;
see ``python -m fuzz --help``. Needs the ``fuzz`` extra (``pip install -e .[fuzz]``).
"""
