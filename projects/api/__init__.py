"""The API of a project's plan: milestones, baselines, change requests and dependencies
(serializers and viewsets on `projects.services` / `projects.dependencies`)."""
