"""The plugin's own tests. They run against an installed copy (`pip install ./python`), which
is how `make pytest` runs them; `pytester` runs inner test sessions for the report, marker and
xdist behaviour."""

pytest_plugins = ["pytester"]
