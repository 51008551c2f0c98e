# The hub image for deploy/kubernetes/values.yaml: the chart's own hub image plus the LTI
# authenticator and the course package (course_tools.lti_hub holds the course rules that
# hub.extraConfig imports). Build from the repository root:
#   docker build -f deploy/kubernetes/hub.Dockerfile -t registry.example.org/techlead-hub:2026.1 .
# Use the k8s-hub tag of the chart version you install (chart 5.x here).
FROM quay.io/jupyterhub/k8s-hub:5.5.0
COPY --chown=jovyan . /tmp/techlead
RUN pip install --no-cache-dir "jupyterhub-ltiauthenticator>=1.6,<1.7" "/tmp/techlead[lti]" \
    && rm -rf /tmp/techlead
