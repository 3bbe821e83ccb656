"""Executes a notebook with Jupyter's own machinery (nbclient) and writes the executed copy.

usage: run-notebook.py NOTEBOOK OUT
The kernel is the one the notebook names, started in the notebook's folder. A failing cell
stops the run with a non-zero exit and the cell's traceback on stderr.
"""

import os
import sys

import nbformat
from nbclient import NotebookClient

path, out = sys.argv[1], sys.argv[2]
notebook = nbformat.read(path, as_version=4)
client = NotebookClient(
    notebook,
    timeout=120,
    startup_timeout=60,
    resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
)
try:
    client.execute()
finally:
    nbformat.write(notebook, out)
