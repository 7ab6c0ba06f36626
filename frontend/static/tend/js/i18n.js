// English and Spanish. The patient's language by default; a switch in the bar.
const STRINGS = {
  en: {
    skip: "Skip to content", signIn: "Sign in", username: "Username", password: "Password",
    signOut: "Sign out", loading: "Loading…", switchTo: "Español", switchLabel: "ES",
    today: "Today", feel: "How do you feel", photo: "Photo", history: "History", reports: "Reports",
    queue: "Review queue", patients: "Patients", alerts: "Alerts",
    appliedIt: "I applied it", skipToday: "Skip today", skipReason: "Why are you skipping?",
    skipReasons: ["Skin too sore", "No cream left", "Away from home", "Forgot", "Other"],
    confirmSkip: "Record the skip", cancel: "Cancel",
    appliedToday: "Applied today. Well done.", skippedToday: "Skipped today.",
    notYetToday: "Not applied yet today.", streak: "Days in a row", waiting: "{n} waiting to send",
    savedOffline: "Saved on this phone. It will be sent when you are back online.",
    sent: "Sent.", pain: "Pain", itch: "Itch", noPain: "No pain", worstPain: "Worst pain",
    noItch: "No itch", worstItch: "Worst itch", drainage: "Fluid from the wound",
    drainageNone: "None", drainageClear: "Clear", drainageCloudy: "Cloudy", drainagePus: "Pus",
    fever: "Do you have a fever?", redness: "Is the redness spreading?", yes: "Yes", no: "No",
    saveCheckin: "Save how I feel", warnSigns: "Warning signs: call your care team today.",
    takePhoto: "Take or choose a photo of the wound", upload: "Send the photo", retry: "Try again",
    uploading: "Sending…", photoSent: "Photo sent. A nurse will look at it.",
    gallery: "Photos", calendar: "Applications", noPhotos: "No photos yet.", noReports: "No reports yet.",
    open: "Open", statusQueued: "Waiting", statusRunning: "Being made", statusReady: "Ready",
    statusFailed: "Failed", failedToSend: "Could not be sent", discard: "Delete",
    emptyQueue: "No photos waiting for review.", previousPhoto: "Previous photo", thisPhoto: "This photo",
    noPrevious: "No earlier photo.", length: "Length (cm)", width: "Width (cm)", exudate: "Exudate",
    tissue: "Tissue type", infection: "Signs of infection", flag: "Flag for the physician",
    comment: "Comment", pushScore: "PUSH score", area: "Area", saveReview: "Save the review",
    reviewSaved: "Review saved.", exNone: "None", exLight: "Light", exModerate: "Moderate",
    exHeavy: "Heavy", tiClosed: "Closed", tiEpithelial: "Epithelial", tiGranulation: "Granulation",
    tiSlough: "Slough", tiNecrotic: "Necrotic", adherence7: "Adherence, last 7 days",
    openAlerts: "Open alerts", acknowledge: "Acknowledge", noAlerts: "No open alerts.",
    course: "Course", prescribe: "Prescribe a course", medication: "Medication",
    concentration: "Strength (%)", vehicle: "Vehicle", site: "Body site", perDay: "Applications per day",
    startDate: "Start date", endDate: "End date", instructions: "Instructions", save: "Save",
    status: "Status", active: "Active", paused: "Paused", completed: "Completed", stopped: "Stopped",
    debridement: "Record a debridement", performedAt: "Performed at", method: "Method",
    nodules: "Nodules removed", specimen: "Specimen sent to the laboratory", requestReport: "Request a report",
    reportRequested: "Report requested.", back: "Back", saved: "Saved.", newPatient: "New patient",
    networkError: "No connection. Please try again.", somethingWrong: "Something went wrong.",
    signInFailed: "The username or password is not right.", tooMany: "Too many attempts. Wait {s} seconds.",
    confirmLogout: "Not sent yet: {n}. Signing out deletes them from this phone. Sign out anyway?",
    sev_low: "low", sev_medium: "medium", sev_high: "high",
    method_excisional: "Excisional", method_sharp: "Sharp", method_mechanical: "Mechanical",
    method_enzymatic: "Enzymatic", method_autolytic: "Autolytic",
    noCourse: "No active treatment course.", since: "since",
  },
  es: {
    skip: "Ir al contenido", signIn: "Entrar", username: "Usuario", password: "Contraseña",
    signOut: "Salir", loading: "Cargando…", switchTo: "English", switchLabel: "EN",
    today: "Hoy", feel: "Cómo se siente", photo: "Foto", history: "Historial", reports: "Informes",
    queue: "Fotos por revisar", patients: "Pacientes", alerts: "Alertas",
    appliedIt: "Ya me lo apliqué", skipToday: "Hoy no", skipReason: "¿Por qué no se lo aplica?",
    skipReasons: ["Piel muy dolorida", "Sin crema", "Fuera de casa", "Se me olvidó", "Otro motivo"],
    confirmSkip: "Guardar", cancel: "Cancelar",
    appliedToday: "Aplicado hoy. Muy bien.", skippedToday: "Hoy no se aplicó.",
    notYetToday: "Aún no se ha aplicado hoy.", streak: "Días seguidos", waiting: "{n} por enviar",
    savedOffline: "Guardado en este teléfono. Se enviará cuando vuelva la conexión.",
    sent: "Enviado.", pain: "Dolor", itch: "Picor", noPain: "Sin dolor", worstPain: "Dolor máximo",
    noItch: "Sin picor", worstItch: "Picor máximo", drainage: "Líquido de la herida",
    drainageNone: "Nada", drainageClear: "Claro", drainageCloudy: "Turbio", drainagePus: "Pus",
    fever: "¿Tiene fiebre?", redness: "¿Se extiende el enrojecimiento?", yes: "Sí", no: "No",
    saveCheckin: "Guardar cómo me siento", warnSigns: "Signos de alarma: llame hoy a su equipo.",
    takePhoto: "Haga o elija una foto de la herida", upload: "Enviar la foto", retry: "Reintentar",
    uploading: "Enviando…", photoSent: "Foto enviada. La revisará una enfermera.",
    gallery: "Fotos", calendar: "Aplicaciones", noPhotos: "Aún no hay fotos.", noReports: "Aún no hay informes.",
    open: "Abrir", statusQueued: "En espera", statusRunning: "En preparación", statusReady: "Listo",
    statusFailed: "Error", failedToSend: "No se pudo enviar", discard: "Borrar",
    emptyQueue: "No hay fotos por revisar.", previousPhoto: "Foto anterior", thisPhoto: "Esta foto",
    noPrevious: "No hay foto anterior.", length: "Largo (cm)", width: "Ancho (cm)", exudate: "Exudado",
    tissue: "Tipo de tejido", infection: "Signos de infección", flag: "Avisar al médico",
    comment: "Comentario", pushScore: "Puntuación PUSH", area: "Área", saveReview: "Guardar la revisión",
    reviewSaved: "Revisión guardada.", exNone: "Nada", exLight: "Escaso", exModerate: "Moderado",
    exHeavy: "Abundante", tiClosed: "Cerrada", tiEpithelial: "Epitelial", tiGranulation: "Granulación",
    tiSlough: "Esfacelo", tiNecrotic: "Necrótico", adherence7: "Adherencia, últimos 7 días",
    openAlerts: "Alertas abiertas", acknowledge: "Marcar como vista", noAlerts: "No hay alertas abiertas.",
    course: "Tratamiento", prescribe: "Prescribir un tratamiento", medication: "Medicamento",
    concentration: "Concentración (%)", vehicle: "Vehículo", site: "Localización", perDay: "Aplicaciones al día",
    startDate: "Inicio", endDate: "Fin", instructions: "Instrucciones", save: "Guardar",
    status: "Estado", active: "Activo", paused: "En pausa", completed: "Completado", stopped: "Suspendido",
    debridement: "Registrar un desbridamiento", performedAt: "Fecha y hora", method: "Método",
    nodules: "Nódulos extraídos", specimen: "Muestra enviada al laboratorio", requestReport: "Pedir un informe",
    reportRequested: "Informe pedido.", back: "Volver", saved: "Guardado.", newPatient: "Nuevo paciente",
    networkError: "Sin conexión. Inténtelo de nuevo.", somethingWrong: "Algo ha fallado.",
    signInFailed: "El usuario o la contraseña no son correctos.", tooMany: "Demasiados intentos. Espere {s} segundos.",
    confirmLogout: "Sin enviar: {n}. Al salir se borrarán de este teléfono. ¿Salir de todos modos?",
    sev_low: "baja", sev_medium: "media", sev_high: "alta",
    method_excisional: "Escisional", method_sharp: "Cortante", method_mechanical: "Mecánico",
    method_enzymatic: "Enzimático", method_autolytic: "Autolítico",
    noCourse: "No hay un tratamiento activo.", since: "desde",
  },
};

let language = localStorage.getItem("tend-language") || (navigator.language || "en").slice(0, 2);
if (!STRINGS[language]) language = "en";

export function t(key, values = {}) {
  const text = STRINGS[language][key] ?? STRINGS.en[key] ?? key;
  return typeof text === "string" ? text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "") : text;
}

export function lang() {
  return language;
}

export function setLang(next, { remember = true } = {}) {
  if (!STRINGS[next]) return;
  language = next;
  if (remember) localStorage.setItem("tend-language", next);
  document.documentElement.lang = next;
}

export function hasChosen() {
  return Boolean(localStorage.getItem("tend-language"));
}

export function formatDate(value) {
  const date = typeof value === "string" ? new Date(value.length === 10 ? `${value}T12:00:00` : value) : value;
  return date.toLocaleDateString(language === "es" ? "es-ES" : "en-GB", { day: "numeric", month: "short", year: "numeric" });
}
