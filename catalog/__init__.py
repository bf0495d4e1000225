"""The catalog: records, the SQL store, the pipeline, policies and the site."""
