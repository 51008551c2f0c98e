"""Instructor-side tools (nbgrader feedback preprocessing, grading helpers, analysis).

The learner-side package ``exercises`` never imports from here.
"""
