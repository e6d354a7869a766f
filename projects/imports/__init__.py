"""Importing project plans from the tools project managers keep them in.

A reader turns one kind of file into a `plan.ParsedPlan` (plain dataclasses, no Django):
`mspdi` reads Microsoft Project XML. `preview` works out what a plan would create or change
in Slate, and `services` stages an upload and applies it in one transaction. A reader for
another format (.mpp or Primavera XER through MPXJ, say) only has to produce a ParsedPlan."""
