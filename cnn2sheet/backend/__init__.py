"""Back end: render the laid-out IR as formulas and write the workbook."""
