"""Planning a run before (or instead of) spending online: `evol estimate` and batch mode.

This layer sits above the pipeline and talks to it through `evol.pipeline.run_rounds`; `evol.llm`
never imports it.
"""
