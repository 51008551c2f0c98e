# The user image for deploy/kubernetes/values.yaml: the course image built by repo2docker
# (environment.yml + postBuild, as on Binder), plus nbgitpuller and an entry point that gives the
# pod's own uid (values.yaml sets one per user) a passwd entry named after the Hub user, which
# nbgrader needs to know who is submitting. Build the base first:
#   repo2docker --no-run --image-name techlead-course-base .
#   docker build -f deploy/kubernetes/user-image.Dockerfile -t registry.example.org/techlead-course:2026.1 .
FROM techlead-course-base
USER root
RUN pip install --no-cache-dir "nbgitpuller>=1.2,<2" \
    && chgrp 100 /etc/passwd /etc/group && chmod g+w /etc/passwd /etc/group
COPY deploy/kubernetes/techlead-start /usr/local/bin/techlead-start
RUN chmod 755 /usr/local/bin/techlead-start
USER 1000
