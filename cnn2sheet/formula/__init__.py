"""The spreadsheet formula language: its syntax tree, printer and parser."""
