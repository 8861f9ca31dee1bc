"""Server-rendered pages: audits (set-up, links, import/export) and the public survey."""
