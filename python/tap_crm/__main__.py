"""``python -m tap_crm``: the same as the ``tap-crm`` command."""

from tap_crm import main

main()
