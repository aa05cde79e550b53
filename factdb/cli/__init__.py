"""The command line: typer commands that parse, call one domain function, and render."""
