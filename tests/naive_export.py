"""The yardstick for `make bench`: what people write by hand with google-auth and requests.

Application Default Credentials, one refresh, two lines printed. A fresh export by the tool
should cost no more than this.
"""

import google.auth
import google.auth.transport.requests

credentials, project = google.auth.default(
    scopes=["https://www.googleapis.com/auth/cloud-platform"]
)
credentials.refresh(google.auth.transport.requests.Request())
print(f"export OPENAI_API_KEY='{credentials.token}'")
print(
    "export OPENAI_BASE_URL='https://us-central1-aiplatform.googleapis.com/v1beta1/projects/"
    f"{project}/locations/us-central1/endpoints/openapi'"
)
