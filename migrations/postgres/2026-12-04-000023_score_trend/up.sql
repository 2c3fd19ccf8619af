-- X-1 trend of the overview (issue 22): the scores of a subtree by month and total, read from the
-- index alone and grouped by the database.
CREATE INDEX performance_scores_scope_trend ON performance_scores(org_path, month, total);
