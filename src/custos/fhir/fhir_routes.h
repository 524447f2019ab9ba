// The FHIR R4 REST interface at /fhir (http://hl7.org/fhir/R4/http.html): thin handlers over
// clinical::ResourceStore. Every route needs a session except the CapabilityStatement; errors are
// OperationOutcome (operation_outcome.h).
#pragma once

#include "custos/clinical/bundles.h"
#include "custos/clinical/resource_store.h"
#include "custos/clinical/search.h"
#include "custos/http/api.h"
#include "custos/patients/registry.h"

namespace custos::fhir {

struct FhirServices {
  clinical::ResourceStore& store;
  clinical::Search& search;
  clinical::BundleProcessor& bundles;
  std::string version;  // the server's software version, for the CapabilityStatement
  // The master patient index: Patient/$match, and reads that follow replaced-by links. Null
  // leaves both out.
  patients::Registry* registry = nullptr;
};

// Registers the /fhir routes and the OperationOutcome error encoder on `api`. `services` must
// outlive `api`.
void AddFhirRoutes(http::Api& api, FhirServices& services);

}  // namespace custos::fhir
